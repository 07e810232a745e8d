"""The suite's CIFAR-10-C and MNIST-C corruptions against the authors' own code, image by image.

For each corruption and severity, the authors' function (hendrycks/robustness make_cifar_c.py,
google-research/mnist-c corruptions.py) and the suite's (augbench/transforms/cifar10_c.py, mnist_c.py) corrupt
the same test images from the same random state: numpy's global state seeded with s for the reference, a
RandomState(s) for the suite, which the suite's code draws from in the reference's order. The table gives,
per cell, the largest difference of the uint8 results (0-255) and the share of pixels that differ.

Motion blur and snow run the reference through Wand, i.e. ImageMagick itself, which the suite replaces by its
numpy copy of ImageMagick's MotionBlurImage. The reference's code is loaded with the substitutions a current
numpy, scipy and scikit-image need (listed in SUBSTITUTIONS) and otherwise as written; skimage's
salt-and-pepper is given a seed drawn from numpy's global state, as the suite draws it.

It needs what the reference imports: Wand with ImageMagick's library (Debian: libmagickwand-6.q16-6),
OpenCV, scikit-image, scipy, Pillow; not torch. Run it outside the suite's venv, e.g.
    uv venv /tmp/refvenv && uv pip install --python /tmp/refvenv/bin/python wand opencv-python-headless \
        scikit-image scipy pillow numpy
    PYTHONPATH=. /tmp/refvenv/bin/python studies/robustness/corruptions_vs_reference.py \
        HENDRYCKS_CHECKOUT MNIST_C_CHECKOUT ../shared/data > results/robustness/corruptions-vs-reference.md
"""

from __future__ import annotations

import gzip
import sys
import types
from pathlib import Path

import numpy as np
from PIL import Image

from augbench.transforms import cifar10_c, mnist_c

IMAGES = 50  # test images per cell: the first 50 of the test split
SEED = 1234

SUBSTITUTIONS = [
    ("np.float_", "np.float64"),  # removed in numpy 2
    ("multichannel=True", "channel_axis=-1"),  # skimage's rename (the old keyword is gone)
    ("from scipy.ndimage.interpolation import map_coordinates", "from scipy.ndimage import map_coordinates"),
    ("np.fromstring(", "np.frombuffer("),  # numpy 2 refuses fromstring on binary data
    ("np.int(", "int("),  # removed in numpy 1.24
    ("from pkg_resources import resource_filename", "resource_filename = lambda _, name: name"),
]


def load_reference(path: Path, start_marker: str, end_marker: str, cwd_files: Path) -> types.ModuleType:
    source = path.read_text()
    body = source[source.index(start_marker):source.index(end_marker)] if end_marker in source else source[source.index(start_marker):]
    for old, new in SUBSTITUTIONS:
        body = body.replace(old, new)
    body = body.replace('open("pessimal_noise_matrix", "rb")', f'open({str(cwd_files / "pessimal_noise_matrix")!r}, "rb")')
    module = types.ModuleType(path.stem)
    prelude = "import numpy as np\nfrom PIL import Image\nimport pickle\n"
    exec(compile(prelude + body, str(path), "exec"), module.__dict__)
    seeded_random_noise = module.sk.util.random_noise

    def random_noise(image, **kwargs):  # the suite's draw: a seed from numpy's global state
        return seeded_random_noise(image, rng=int(np.random.randint(2 ** 31)), **kwargs)
    module.sk = types.SimpleNamespace(util=types.SimpleNamespace(random_noise=random_noise), color=module.sk.color)
    return module


def cifar_images(data: Path) -> np.ndarray:
    with np.load(data / "cifar10-jpeg" / "test.npz") as archive:
        x = archive["x"]
    return x[:IMAGES]


def mnist_images(data: Path) -> np.ndarray:
    with gzip.open(data / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz") as handle:
        x = np.frombuffer(handle.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return x[:IMAGES]


def compare(name: str, severity: int, images: np.ndarray, reference_fn, suite_fn, mode: str) -> tuple[int, float]:
    worst, differing, total = 0, 0, 0
    for i, image in enumerate(images):
        np.random.seed(SEED + i)
        ours = np.uint8(suite_fn(image.copy(), np.random.RandomState(SEED + i)))
        theirs = np.uint8(reference_fn(Image.fromarray(image.copy(), mode=mode)))
        diff = np.abs(ours.astype(int) - theirs.astype(int))
        worst, differing, total = max(worst, int(diff.max())), differing + int((diff > 0).sum()), total + diff.size
    return worst, differing / total


def main(hendrycks: Path, mnist_c_repo: Path, data: Path) -> None:
    cifar_ref = load_reference(hendrycks / "ImageNet-C" / "create_c" / "make_cifar_c.py",
                               "# /////////////// Distortion Helpers", "# /////////////// End Distortions", hendrycks)
    cifar_ref.__dict__["__file__"] = str(hendrycks / "ImageNet-C" / "create_c" / "make_cifar_c.py")
    mnist_ref = load_reference(mnist_c_repo / "corruptions.py", "# /////////////// Corruption Helpers", "\0", mnist_c_repo)
    frost_dir = hendrycks / "ImageNet-C" / "create_c"
    print("# CIFAR-10-C and MNIST-C: the suite's corruptions against the authors' code\n")
    print(f"The first {IMAGES} test images of each split per cell, the same random state on both sides "
          "(studies/robustness/corruptions_vs_reference.py). Largest difference of the uint8 results, and the share "
          "of pixels that differ at all.\n")
    print("| benchmark | corruption | severity | largest difference | pixels differing |")
    print("|---|---|---|---|---|")
    images = cifar_images(data)
    for name, fn in cifar10_c.CORRUPTIONS.items():
        for severity in cifar10_c.SEVERITIES:
            reference_fn = getattr(cifar_ref, name)
            if name == "frost":  # the reference reads its textures from the working directory
                import os
                cwd = os.getcwd()
                os.chdir(frost_dir)
                try:
                    worst, share = compare(name, severity, images, lambda im, s=severity: reference_fn(im, s),
                                           lambda im, rng, s=severity: fn(im, s, rng), "RGB")
                finally:
                    os.chdir(cwd)
            else:
                worst, share = compare(name, severity, images, lambda im, s=severity: reference_fn(im, s),
                                       lambda im, rng, s=severity: fn(im, s, rng), "RGB")
            print(f"| CIFAR-10-C | {name} | {severity} | {worst} | {share:.2%} |", flush=True)
    digits = mnist_images(data)
    for name, fn in mnist_c.CORRUPTIONS.items():
        worst, share = compare(name, 0, digits, getattr(mnist_ref, name), fn, "L")
        print(f"| MNIST-C | {name} | published | {worst} | {share:.2%} |", flush=True)
    import cv2
    import scipy
    import skimage
    from wand.version import MAGICK_VERSION
    print(f"\nReference side: {MAGICK_VERSION} through Wand; both sides: OpenCV {cv2.__version__}, "
          f"scikit-image {skimage.__version__}, scipy {scipy.__version__}, numpy {np.__version__}.")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
