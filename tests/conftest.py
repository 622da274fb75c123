"""Tiny random trios built in seconds, for equivalence tests that need no assets."""
from __future__ import annotations

import pytest
import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from thinklogit_app.core.trio import Trio

ALPHABET = list("0123456789+=:\nQA")
SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]


def char_tokenizer(alphabet=ALPHABET, specials=SPECIALS) -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(specials + alphabet)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>",
                                   eos_token="</s>", unk_token="<unk>")


def tiny_llama(vocab_size: int, seed: int, hidden=32, layers=2, eos_id=2) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=256, bos_token_id=1, eos_token_id=eos_id, pad_token_id=0)
    model = LlamaForCausalLM(config)
    # random weights give flat logits; sharpen them so greedy picks are not near-ties
    with torch.no_grad():
        model.lm_head.weight.mul_(8.0)
    return model.eval()


def make_trio(target_pad: int = 0, seeds=(0, 1, 2), eos_reachable: bool = True) -> Trio:
    tok = char_tokenizer()
    v = len(tok)
    target = tiny_llama(v + target_pad, seeds[0], hidden=48, layers=3)
    guider = tiny_llama(v, seeds[1])
    base = tiny_llama(v, seeds[2])
    with torch.no_grad():  # padding rows, as in real padded vocabularies, are never the best pick
        target.lm_head.weight[v:] = 0.0
        if not eos_reachable:  # logit 0 for EOS everywhere: sharpened random rows always beat it
            for model in (target, guider, base):
                model.lm_head.weight[tok.eos_token_id] = 0.0
    return Trio.checked(target, guider, base, tok)


def save_trio(trio: Trio, folder) -> None:
    """Each model of the trio, with the tokenizer, as a from_pretrained folder under `folder`."""
    for role in ("target", "guider", "base"):
        getattr(trio, role).save_pretrained(folder / role)
        trio.tokenizer.save_pretrained(folder / role)


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Tiny models gain nothing from a second thread, and on a shared 2-core machine two
    spinning OpenMP threads make each step many times slower; restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def trio() -> Trio:
    return make_trio()


@pytest.fixture(scope="session")
def endless_trio() -> Trio:
    return make_trio(eos_reachable=False)


@pytest.fixture(scope="session")
def padded_trio() -> Trio:
    return make_trio(target_pad=8)
