"""The directory names a suite writes below a label and the comparison reads back: one place for both sides."""
from __future__ import annotations

import re

TUNING_PREFIX = "tune-"  # LABEL/tune-SETTING=VALUE: a tuning candidate


def is_weights_dir(name: str) -> bool:
    """wWEIGHTS: the run of a single-policy entry started from one w of W."""
    return re.fullmatch(r"w[0-9].*", name) is not None
