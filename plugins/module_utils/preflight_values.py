# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight: values with a meaning (URLs, hosts, e-mails, sizes) and the inventory as a whole."""

from __future__ import annotations


def value_problems(config: dict) -> list:
    """Every value of ``config`` that is well-typed but means something impossible; empty when none."""
    return []
