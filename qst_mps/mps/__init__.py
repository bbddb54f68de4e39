"""The mps backend (TeNPy): the terms translated into a TeNPy model, the initial MPS, windowed
TEBD and TDVP, the observables. Importing it changes nothing in the process: TeNPy's settings
apply inside the backend's calls only (tenpy_internals.py).
"""
