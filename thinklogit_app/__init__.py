"""ThinkLogit Studio: decoding-time logit arithmetic (guided = target + alpha * (guider - base))."""
from .core.arithmetic import AlphaSchedule, combine_logits, common_vocab
from .core.compat import IncompatibleModelsError, check_compatible
from .core.engine import DecodeSettings, DecodeStep, StreamState, decode, run_to_end
from .models.presets import Preset, PresetError, get_preset, read_presets
from .models.loading import load_trio
from .core.processor import ThinkLogitProcessor
from .core.trace import BaselineToken, StepTrace
from .core.trio import Trio

__all__ = [
    "AlphaSchedule", "combine_logits", "common_vocab", "IncompatibleModelsError", "check_compatible",
    "DecodeSettings", "DecodeStep", "StreamState", "decode", "run_to_end", "Preset", "PresetError",
    "get_preset", "load_trio", "read_presets", "ThinkLogitProcessor", "BaselineToken", "StepTrace", "Trio",
]
