"""Recipes that tune the bundled base model into a known lineage (SFT, then DPO); the data here, the
training in a later module."""
