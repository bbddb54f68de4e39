"""Small helpers around the run driver (qst_mps/simulation.py): signals, the output lock, and
the numerical health checks."""
