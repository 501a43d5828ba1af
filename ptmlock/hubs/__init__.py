"""Hubs: one module per hub behind ptmlock.hubs.interface.Hub."""
