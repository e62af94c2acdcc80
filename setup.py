"""Package mapping: the generic top-level folders install inside confcheck.

analyzers/, fixers/ and sample_configs/ keep their design-time names in the
repository but must never land in site-packages as top-level packages.
"""

from setuptools import find_packages, setup

MAPPED = ("analyzers", "fixers", "sample_configs")

packages = find_packages(include=["confcheck", "confcheck.*"])
package_dir = {"confcheck": "confcheck"}
for top in MAPPED:
    for found in find_packages(include=[top, top + ".*"]):
        packages.append("confcheck." + found)
    package_dir["confcheck." + top] = top

setup(packages=packages, package_dir=package_dir)
