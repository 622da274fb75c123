"""ThinkLogit Studio: decoding-time logit arithmetic (guided = target + alpha * (guider - base))."""
from .arithmetic import AlphaSchedule, combine_logits, common_vocab
from .compat import IncompatibleModelsError, check_compatible
from .engine import DecodeSettings, DecodeStep, StreamState, decode, run_to_end
from .presets import Preset, PresetError, get_preset, load_trio, read_presets
from .processor import ThinkLogitProcessor
from .trace import BaselineToken, StepTrace
from .trio import Trio

__all__ = [
    "AlphaSchedule", "combine_logits", "common_vocab", "IncompatibleModelsError", "check_compatible",
    "DecodeSettings", "DecodeStep", "StreamState", "decode", "run_to_end", "Preset", "PresetError",
    "get_preset", "load_trio", "read_presets", "ThinkLogitProcessor", "BaselineToken", "StepTrace", "Trio",
]
