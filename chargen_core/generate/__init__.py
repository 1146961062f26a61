"""Generation in numpy: sampler settings and the live handle a UI turns, the probability maths, one Sampler base
per strategy (beam search overrides its loop), the cursor a stream stands on, and the Generator over a model's
weights. Nothing here imports TensorFlow: a run's model is read from its numpy weights file (a model saved before
chargen wrote one is converted once, through Keras)."""
from .beam import BeamSampler, BeamSearch
from .blas import single_thread_blas
from .cursor import Cursor, GeneratedChar
from .generator import GenerationResult, Generator, PreparedPrompt, Stream
from .probability import REPETITION_WINDOW, log_softmax, softmax
from .samplers import Sampler
from .settings import (COMPARE_SET, MAX_BEAMS, MAX_LENGTH_PENALTY, MAX_REPETITION_PENALTY, MAX_TEMPERATURE,
                       MIN_REPETITION_PENALTY, MIN_TEMPERATURE, STRATEGIES, LiveSettings, SamplerSettings)
from .strategies import make_sampler
from .tutorial import tutorial_loop

__all__ = ["BeamSampler", "BeamSearch", "single_thread_blas", "Cursor", "GeneratedChar", "GenerationResult",
           "Generator", "PreparedPrompt", "Stream", "REPETITION_WINDOW", "log_softmax", "softmax", "Sampler",
           "COMPARE_SET", "MAX_BEAMS", "MAX_LENGTH_PENALTY", "MAX_REPETITION_PENALTY", "MAX_TEMPERATURE",
           "MIN_REPETITION_PENALTY", "MIN_TEMPERATURE", "STRATEGIES", "LiveSettings", "SamplerSettings", "make_sampler", "tutorial_loop"]
