"""morlbench inside other training libraries: ``morlbench.integrations.trl.MorlbenchCallback`` for TRL's
GRPOTrainer (docs/trl.md)."""
