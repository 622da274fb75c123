"""Real-size model trios with random weights, built from configs, for timing only.

Decoding speed does not depend on the weights' values, so the paper's shapes (and
smaller CPU-friendly ones) can be timed without downloading anything.
"""
from __future__ import annotations

import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from ..core.trio import Trio

# layers, hidden, heads, kv heads, MLP, vocab rows, as the models' published configs give them
SHAPES = {
    "qwen2.5-32b": (64, 5120, 40, 8, 27648, 152064),
    "qwen2.5-7b": (28, 3584, 28, 4, 18944, 152064),
    "qwen2.5-1.5b": (28, 1536, 12, 2, 8960, 151936),
    "qwen2.5-0.5b": (24, 896, 14, 2, 4864, 151936),
}


def numbered_tokenizer(size: int) -> PreTrainedTokenizerFast:
    """A tokenizer whose ids are words 't0'..'t{size-1}', so any id decodes."""
    vocab = {f"t{i}": i for i in range(size)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="t0"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="t0", eos_token=f"t{size - 1}")


def shape_config(shape: str, tie_word_embeddings: bool = False, positions: int = 4096) -> Qwen2Config:
    """A Qwen2 config of one of SHAPES (Qwen2.5-Math-1.5B ties its embeddings; the others do not)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: choose one of {', '.join(SHAPES)}")
    layers, hidden, heads, kv, mlp, vocab = SHAPES[shape]
    return Qwen2Config(num_hidden_layers=layers, hidden_size=hidden, num_attention_heads=heads,
                       num_key_value_heads=kv, intermediate_size=mlp, vocab_size=vocab,
                       max_position_embeddings=positions, tie_word_embeddings=tie_word_embeddings)


def random_model(shape: str, device: str, dtype: torch.dtype, seed: int = 0):
    config = shape_config(shape)
    with torch.device("meta"):
        model = Qwen2ForCausalLM(config)
    model = model.to_empty(device=device).to(dtype)
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():  # N(0, 0.02) in place: far faster than the modules' own init
        for param in model.parameters():
            param.normal_(0.0, 0.02, generator=generator)
        rotary = type(model.model.rotary_emb)(config).to(device)  # meta left its buffers empty
        model.model.rotary_emb.inv_freq.copy_(rotary.inv_freq)
        model.model.rotary_emb.original_inv_freq.copy_(rotary.original_inv_freq)
    return model.eval()


def random_4bit_model(shape: str, device: str, dtype: torch.dtype, seed: int = 0):
    """A random model of `shape` whose linear layers (all but the output head) are
    bitsandbytes nf4 `Linear4bit`, as `from_pretrained(..., load_in_4bit)` builds them:
    transformers' `replace_with_bnb_linear` swaps the layers on the meta device, then each
    weight is drawn in `dtype` and quantized by `Params4bit` as it moves to `device`."""
    import bitsandbytes as bnb
    from transformers import BitsAndBytesConfig
    from transformers.integrations.bitsandbytes import replace_with_bnb_linear

    config = shape_config(shape)
    with torch.device("meta"):
        model = Qwen2ForCausalLM(config)
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype)
    replace_with_bnb_linear(model, modules_to_not_convert=["lm_head"], quantization_config=quant)
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            for name, param in list(module.named_parameters(recurse=False)):
                data = torch.empty(param.shape, device=device, dtype=dtype).normal_(0.0, 0.02, generator=generator)
                if isinstance(module, bnb.nn.Linear4bit) and name == "weight":
                    module.weight = bnb.nn.Params4bit(data.cpu(), requires_grad=False, quant_type="nf4",
                                                      compress_statistics=False, module=module).to(device)
                else:
                    setattr(module, name, torch.nn.Parameter(data, requires_grad=False))
        model.model.rotary_emb = type(model.model.rotary_emb)(config).to(device)
    model.config.quantization_config = quant
    model.is_loaded_in_4bit = True
    return model.eval()


def synthetic_trio(target: str, guider: str, device: str | None = None, dtype: torch.dtype | None = None,
                   target_quantization: str = "none") -> Trio:
    """Random-weight target + guider pair of real shapes; `target_quantization` "4bit" makes
    the target nf4 (bitsandbytes, as the hub presets load it)."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = dtype or (torch.bfloat16 if device == "cuda" else torch.float32)
    if target_quantization not in ("none", "4bit"):
        raise ValueError(f"synthetic targets are unquantized or 4bit, got {target_quantization!r}")
    make_target = random_4bit_model if target_quantization == "4bit" else random_model
    models_ = [make_target(target, device, dtype, 0), random_model(guider, device, dtype, 1),
               random_model(guider, device, dtype, 2)]
    tokenizer = numbered_tokenizer(min(SHAPES[target][5], SHAPES[guider][5]))
    trio = Trio(*models_, tokenizer)
    trio.info = {"preset": f"synthetic {target} ({target_quantization}) + {guider} pair", "device": device,
                 "dtype": str(dtype).replace("torch.", ""), "quantization": {"target": target_quantization}}
    return trio
