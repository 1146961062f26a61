"""The sampler for each strategy name (beam search included): what a stream builds whenever its settings change."""
from __future__ import annotations

from .beam import BeamSampler
from .samplers import GreedySampler, MinPSampler, Sampler, TemperatureSampler, TopKSampler, TopPSampler
from .settings import SamplerSettings

SAMPLERS: dict[str, type[Sampler]] = {
    "greedy": GreedySampler,
    "temperature": TemperatureSampler,
    "top-k": TopKSampler,
    "top-p": TopPSampler,
    "min-p": MinPSampler,
    "beam": BeamSampler,
}


def make_sampler(settings: SamplerSettings) -> Sampler:
    """The sampler for (validated) settings; temperature 0 is greedy for every sampling strategy but beam."""
    if settings.temperature == 0 and settings.strategy != "beam":
        return GreedySampler(settings)
    return SAMPLERS[settings.strategy](settings)
