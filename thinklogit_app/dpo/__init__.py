"""ThinkLogit-DPO: train only the small guider, with preference pairs of reasoning traces
from the guider alone ("small") and the guided target ("large"); the target stays frozen.

    python -m thinklogit_app dpo pairs   # sample, grade, pair   -> assets/dpo/pairs.jsonl
    python -m thinklogit_app dpo train   # TRL DPOTrainer (LoRA) -> assets/models/guider-dpo
"""
from .pairs import PAIR_TYPES, MiningSettings, Pair, Problem, Sample, build_pairs, mine_pairs, training_problems
from .train import DPOSettings, preference_margins, save_guider, train_dpo

__all__ = ["PAIR_TYPES", "MiningSettings", "Pair", "Problem", "Sample", "build_pairs", "mine_pairs",
           "training_problems", "DPOSettings", "preference_margins", "save_guider", "train_dpo"]
