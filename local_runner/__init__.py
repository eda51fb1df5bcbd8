"""Runs the whole service on this machine: AWS emulated in-process (moto), the real handlers."""
