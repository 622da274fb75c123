"""ThinkLogit Studio: decoding-time logit arithmetic (guided = target + alpha * (guider - base))."""
from .arithmetic import AlphaSchedule, combine_logits, common_vocab
from .processor import ThinkLogitProcessor

__all__ = ["AlphaSchedule", "combine_logits", "common_vocab", "ThinkLogitProcessor"]
