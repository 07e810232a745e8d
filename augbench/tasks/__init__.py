"""The task registry: one line per task here, one file per task beside it."""

from augbench.config.registry import Registry

TASKS = Registry("task")

TASKS.declare("mnist", "augbench.tasks.mnist", "MNIST handwritten digits, 28x28 grey, 10 classes (60k train / 10k test)")
TASKS.declare("cifar10", "augbench.tasks.cifar10", "CIFAR-10, 32x32 colour, 10 classes (official batches, else the lossy JPEG copy)")
TASKS.declare("sst2", "augbench.tasks.sst2", "SST-2 sentiment (GLUE), 2 classes, TF-IDF+SVD features; test = GLUE dev split (test labels unpublished)")
TASKS.declare("trec", "augbench.tasks.trec", "TREC-6 question type, 6 coarse classes, TF-IDF+SVD features (5,452 train / 500 test)")
TASKS.declare("fsdd", "augbench.tasks.fsdd", "Free Spoken Digit Dataset, 10 digits, 6 speakers, log-mel maps; split=official (takes 0-4 test) or speaker")

# A user's own data (augbench/tasks/folder.py): `--tasks images:PATH` makes a task named `images:STEM` from a folder.
TASKS.declare_scheme("images", "augbench.tasks.folder", "your images: one sub-folder per class (or a CSV of path,label); CIFAR-10's classifier and budgets",
                     "images:FOLDER or images:FILE.csv")
TASKS.declare_scheme("text", "augbench.tasks.folder", "your sentences: a CSV or TSV with text and label columns; the text tasks' features and classifier",
                     "text:FILE.csv")
TASKS.declare_scheme("audio", "augbench.tasks.folder", "your recordings: one sub-folder per class of WAV files; FSDD's front end and classifier",
                     "audio:FOLDER")
