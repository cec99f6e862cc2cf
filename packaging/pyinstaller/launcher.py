"""The frozen app's entry point: the same command line as the installed ``dreamfactory-studio``.

``dreamfactory-studio -m pip ...`` runs the pip the app carries, with which ``gpu-stack install`` puts the GPU
stack into its managed folder (the app has no other Python to run pip with).
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the model's worker process is this program, spawned
    if sys.argv[1:3] == ["-m", "pip"]:
        import runpy

        sys.argv = ["pip", *sys.argv[3:]]
        runpy.run_module("pip", run_name="__main__", alter_sys=True)
    else:
        from dreamfactory_studio.cli import main

        sys.exit(main())
