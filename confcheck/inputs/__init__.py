"""The one input stage: command line -> configs, served trees, and what was read.

Every command (scan, why, fix, explain) calls it the same way:

    inputs = resolve(InputRequest(paths, configs, server, root, no_fs, context), stdin)
    reading = read_inputs(inputs)        # each config loaded once, with its own diagnostics

`Inputs` (before parsing) holds the configs per server kind and role (main,
lone vhost or snippet, nginx -T dump, .htaccess), the served trees, whether
the machine's standard locations were read and why, and what was found but
not read. `inputs_line` / `inputs_json` report what a command read.
"""

from confcheck.inputs.model import Config, InputError, InputRequest, Inputs, Skipped
from confcheck.inputs.paths import local_path, server_path, shown
from confcheck.inputs.read import Loaded, Reading, read_inputs
from confcheck.inputs.report import inputs_json, inputs_line
from confcheck.inputs.resolve import resolve

__all__ = ["Config", "InputError", "InputRequest", "Inputs", "Loaded", "Reading", "Skipped", "inputs_json",
           "inputs_line", "local_path", "read_inputs", "resolve", "server_path", "shown"]
