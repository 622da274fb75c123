"""One character-level tokenizer shared by the three tiny models.

It holds only the task's symbols plus four specials: every vocabulary row is trained,
so (guider - base) carries no noise from untrained rows (see docs/ORGANISM_RESULTS.md).
Saved as a regular Hugging Face tokenizer: `AutoTokenizer.from_pretrained(folder)`.
"""
from __future__ import annotations

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from .task import ALPHABET

SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")  # ids 0..3
PAD, BOS, EOS, UNK = SPECIALS


def build_tokenizer(alphabet: str = ALPHABET) -> PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for ch in alphabet:
        vocab.setdefault(ch, len(vocab))
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # one token per character, newline included; specials are matched before this split
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, vocab[BOS])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        padding_side="left",
        clean_up_tokenization_spaces=False,
        model_max_length=512,
    )
