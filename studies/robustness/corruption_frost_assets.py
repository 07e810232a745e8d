"""Make augbench/transforms/assets/cifar10_c_frost/frost{1..5}.png from CIFAR-10-C's frost textures.

make_cifar_c.py reads one of frost1-5 with OpenCV (BGR), resizes it by 0.2 (cv2.resize, bilinear), crops a
32 x 32 patch and reverses the channels. The resize never depends on the image or the draw, so the suite keeps
its result (RGB, lossless PNG: about 1/25 of the originals' 2 MB) and crops from that.

Usage: python studies/robustness/corruption_frost_assets.py REFERENCE_CHECKOUT
(REFERENCE_CHECKOUT holds hendrycks/robustness; its textures are in ImageNet-C/create_c/).
The script reads the originals back through the saved files and checks they are what the reference computes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from augbench.transforms.cifar10_c import FROST_DIR

NAMES = ["frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg"]  # the reference draws randint(5)


def main(reference: Path) -> None:
    FROST_DIR.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(NAMES, start=1):
        bgr = cv2.imread(str(reference / "ImageNet-C" / "create_c" / name))
        if bgr is None:
            raise SystemExit(f"{reference}: cannot read ImageNet-C/create_c/{name}")
        rgb = cv2.resize(bgr, (0, 0), fx=0.2, fy=0.2)[..., [2, 1, 0]]
        target = FROST_DIR / f"frost{i}.png"
        Image.fromarray(np.ascontiguousarray(rgb)).save(target, optimize=True)
        assert np.array_equal(np.asarray(Image.open(target).convert("RGB")), rgb)
        print(f"{target}: {rgb.shape[1]} x {rgb.shape[0]} from {name} {bgr.shape[1]} x {bgr.shape[0]}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
