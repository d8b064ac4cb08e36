# Copyright: (c) 2026, mlops.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The input of every cloud-profile filter: which cloud's profile answers.
    DOCUMENTATION = r"""
options:
  _input:
    description: The cloud, normally C(platform_cloud).
    type: str
    required: true
    choices: [aws, azure, local]
"""
