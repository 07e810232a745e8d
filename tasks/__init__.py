"""The task registry: one line per task here, one file per task beside it."""

from bench.registry import Registry

TASKS = Registry("task")

TASKS.declare("mnist", "tasks.mnist", "MNIST handwritten digits, 28x28 grey, 10 classes (60k train / 10k test)")
TASKS.declare("cifar10", "tasks.cifar10", "CIFAR-10, 32x32 colour, 10 classes (official batches, else the lossy JPEG copy)")
