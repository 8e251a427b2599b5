"""voxserve.models: build, verify and describe model assets (see :class:`ModelStore`)."""

from voxserve.models.buildenv import ModelBuildError
from voxserve.models.manifest import Manifest, Source
from voxserve.models.store import ModelInfo, ModelStore

__all__ = ["Manifest", "ModelBuildError", "ModelInfo", "ModelStore", "Source"]
