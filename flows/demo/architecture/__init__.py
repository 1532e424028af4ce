"""The demo chat app's parts: what ``flows.demo.seed.seed_demo`` creates, piece by piece."""
