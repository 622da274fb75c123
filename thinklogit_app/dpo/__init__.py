"""ThinkLogit-DPO: train only the small guider, with preference pairs of reasoning traces
from the guider alone ("small") and the guided target ("large"); the target stays frozen.

    python -m thinklogit_app dpo pairs   # sample, grade, pair   -> assets/dpo/pairs.jsonl
    python -m thinklogit_app dpo train   # TRL DPOTrainer (LoRA) -> assets/models/guider-dpo
"""
from .pairs import PAIR_TYPES, MiningSettings, Pair, Problem, Sample, build_pairs, mine_pairs, training_problems

_TRAINING = ("DPOSettings", "preference_margins", "save_guider", "train_dpo")


def __getattr__(name):  # TRL and peft load only when training is asked for (seconds off every CLI call)
    if name in _TRAINING:
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PAIR_TYPES", "MiningSettings", "Pair", "Problem", "Sample", "build_pairs", "mine_pairs",
           "training_problems", "DPOSettings", "preference_margins", "save_guider", "train_dpo"]
