"""The former import name of libenvelope, kept for this release only.

``import envelope`` collides with an unrelated published package of that
name: import ``libenvelope`` instead. This module re-exports the very same
objects (``open`` included, as it always did) and warns once on import.
"""

import sys
import warnings

from libenvelope import *  # noqa: F401,F403 - the same objects, re-exported
from libenvelope import __all__, __version__, errors, keys, open  # noqa: F401

warnings.warn("the 'envelope' module is deprecated and will be removed in the next release: "
              "import 'libenvelope' instead", DeprecationWarning, stacklevel=2)

# `import envelope.errors` / `envelope.keys` keep naming the same modules.
sys.modules[__name__ + ".errors"] = errors
sys.modules[__name__ + ".keys"] = keys
del sys, warnings
