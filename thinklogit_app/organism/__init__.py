"""The embedded tiny trio: a synthetic sums task, its character tokenizer, and training.

target (4 layers, ~1M params) and base (2 layers, ~0.13M) are pretrained on the same
mix of direct answers, step-by-step solutions and single-step facts; the guider is the
base fine-tuned on step-by-step solutions. `python -m thinklogit_app organism train`
rebuilds all three into assets/models/.
"""
