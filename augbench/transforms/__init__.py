"""What tasks declare per modality: the classic augmentation recipes and the fixed corruption sets."""
