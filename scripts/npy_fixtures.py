#!/usr/bin/env python3
"""Writes the small NumPy fixtures the Swift tests read (Tests/DescentTests/Fixtures/).

Every expected value the tests compare against comes from NumPy here, never from Descent:
  npy_*.npy          the same 4 x 3 table in several layouts and dtypes and header versions
  npy_expected.json  that table as decimal text (the reference values)
  predict_*.npy/json a model, data, and NumPy's predictions X @ w + b
Run from the repository root:  python3 scripts/npy_fixtures.py
"""
import json
import os

import numpy as np
from numpy.lib import format as npformat

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DescentTests", "Fixtures")
os.makedirs(out, exist_ok=True)

# Values exactly representable in float32 and float16, so every dtype holds the same table.
table = np.array([[1.5, -2.0, 0.25],
                  [3.0, 4.5, -1.0],
                  [-0.5, 8.0, 2.0],
                  [6.0, 0.0, -3.25]], dtype=np.float64)


def write(name, array, version=None):
    with open(os.path.join(out, name), "wb") as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)


write("npy_c_f8_v1.npy", table, version=(1, 0))
write("npy_c_f8_v2.npy", table, version=(2, 0))
write("npy_c_f8_v3.npy", table, version=(3, 0))
write("npy_fortran_f8.npy", np.asfortranarray(table), version=(1, 0))
write("npy_c_f4.npy", table.astype("<f4"), version=(1, 0))
write("npy_fortran_f4_v2.npy", np.asfortranarray(table.astype("<f4")), version=(2, 0))
write("npy_c_f2.npy", table.astype("<f2"), version=(1, 0))
write("npy_big_endian_f8.npy", table.astype(">f8"), version=(1, 0))
write("npy_i8.npy", np.array([[1, -2, 3], [4, 5, -6]], dtype="<i8"), version=(1, 0))
write("npy_u1.npy", np.array([[1, 2, 255]], dtype="u1"), version=(1, 0))
write("npy_labels.npy", table[:, 2].copy(), version=(1, 0))
write("npy_features_only.npy", table[:, :2].copy(), version=(1, 0))
write("npy_with_nan.npy", np.array([[1.0, 2.0], [np.nan, 4.0]]), version=(1, 0))

with open(os.path.join(out, "npy_expected.json"), "w") as f:
    json.dump({"table": table.tolist(),
               "i8": [[1, -2, 3], [4, 5, -6]],
               "u1": [[1, 2, 255]]}, f, indent=1)

# Predictions: a model and NumPy's answer on the same data.
rng = np.random.default_rng(20240501)
x = rng.normal(size=(25, 3)) * np.array([1.0, 10.0, 0.01]) + np.array([0.0, 50.0, -1.0])
w = np.array([0.75, -0.125, 12.5])
b = -3.0625
write("predict_features.npy", x, version=(1, 0))
write("predict_expected.npy", x @ w + b, version=(1, 0))
write("predict_expected_f4.npy", (x.astype(np.float32) @ w.astype(np.float32) + np.float32(b)).astype(np.float32), version=(1, 0))
model = {"formatVersion": 1, "weights": w.tolist(), "bias": b,
         "normalization": {"kind": "standardize", "offsets": [0.0, 50.0, -1.0], "scales": [1.0, 10.0, 0.01]},
         "featureNames": ["a", "b", "c"], "targetName": "y", "precision": "float64",
         "training": {"optimizer": "sgd", "epochs": "100"}}
with open(os.path.join(out, "predict_model.json"), "w") as f:
    json.dump(model, f, indent=1)
# The same data as CSV (NumPy's own text writer, 17 significant digits: exact round trip).
np.savetxt(os.path.join(out, "predict_features.csv"), x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
print("wrote fixtures to", os.path.normpath(out))
