"""Training backends: who samples and updates. Registered under the ``morlbench.backends`` entry points."""
