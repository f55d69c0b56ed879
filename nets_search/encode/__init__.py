"""Text to vectors: the bundled model, its ONNX export and runner, and the encoder the rest of the package uses."""
