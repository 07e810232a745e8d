"""The task registry: one line per task here, one file per task beside it."""

from bench.config.registry import Registry

TASKS = Registry("task")

TASKS.declare("mnist", "tasks.mnist", "MNIST handwritten digits, 28x28 grey, 10 classes (60k train / 10k test)")
TASKS.declare("cifar10", "tasks.cifar10", "CIFAR-10, 32x32 colour, 10 classes (official batches, else the lossy JPEG copy)")
TASKS.declare("sst2", "tasks.sst2", "SST-2 sentiment (GLUE), 2 classes, TF-IDF+SVD features; test = GLUE dev split (test labels unpublished)")
TASKS.declare("trec", "tasks.trec", "TREC-6 question type, 6 coarse classes, TF-IDF+SVD features (5,452 train / 500 test)")
TASKS.declare("fsdd", "tasks.fsdd", "Free Spoken Digit Dataset, 10 digits, 6 speakers, log-mel maps; split=official (takes 0-4 test) or speaker")
