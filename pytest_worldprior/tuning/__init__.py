"""The recipe that tunes the bundled base model into a known lineage (SFT, then DPO): the data
(corpus.py, templates.py), the settings (recipe.py), the training (train.py) and its command (__main__.py)."""
