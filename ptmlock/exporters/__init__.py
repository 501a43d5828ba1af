"""Export formats: one module per format behind ptmlock.exporters.interface.Exporter."""
