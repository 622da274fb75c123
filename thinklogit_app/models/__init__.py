"""Models: the presets file, loading (tokenizers, weights, quantization, devices), the
shared manager of loaded trios, the hub probe and random real-size trios for timing."""
