"""Measuring: answer grading, batched decoding, held-out pass@1 and decoding speed."""
