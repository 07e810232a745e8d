"""Evaluation of a trained classifier on the task's test split."""

from __future__ import annotations

import torch
from torch import nn

from augbench.core.device import autocast

from augbench.tasks.base import Split, Task


@torch.inference_mode()
def predict(model: nn.Module, task: Task, split: Split, batch_size: int, amp: bool = True) -> torch.Tensor:
    """Predicted class ids [N] for the split, in eval mode (the model's mode is restored)."""
    was_training = model.training
    model.eval()
    try:
        with autocast(split.y.device, amp):
            preds = [model(task.prepare(split.x[i:i + batch_size])).argmax(dim=1) for i in range(0, len(split), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(preds) if preds else torch.empty(0, dtype=torch.long, device=split.y.device)


def accuracy(model: nn.Module, task: Task, split: Split, batch_size: int = 1000, amp: bool = True) -> float:
    """Top-1 accuracy in [0, 1] on `split`."""
    if len(split) == 0:
        raise ValueError("cannot measure accuracy on an empty split")
    correct = (predict(model, task, split, batch_size, amp) == split.y).sum().item()
    return correct / len(split)
