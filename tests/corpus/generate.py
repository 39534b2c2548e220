#!/usr/bin/env python3
"""Writes the data half of the bad-input corpus (tests/corpus/data). The files are committed;
this script records how their bytes were made, and rewrites them identically when run again.
Each case folder holds a .expect file: the file the error must name (relative to the case) and
a phrase its message must contain."""
import gzip, os, shutil, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def png(width, height, pixels=None, idat_chunks=1):
    """A real 8-bit grey PNG; pixels default to a gradient. Encoders split the compressed pixels
    of large images over several IDAT chunks; idat_chunks does the same to a small one."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    if pixels is None:
        pixels = bytes((x * 9 + y * 5) % 256 for y in range(height) for x in range(width))
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    compressed = zlib.compress(rows)
    step = -(-len(compressed) // idat_chunks)
    idats = b"".join(chunk(b"IDAT", compressed[at:at + step]) for at in range(0, len(compressed), step))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + idats + chunk(b"IEND", b""))


def truncated_png():
    """A 28x28 PNG in two IDAT chunks cut off after the first, where a truncated download of a
    large PNG usually ends: every chunk it holds is whole, but the second IDAT and IEND are missing.
    ImageSharp decodes it without complaint; the loader must not."""
    whole = png(28, 28, idat_chunks=2)
    second_idat = whole.index(b"IDAT", whole.index(b"IDAT") + 4) - 4  # back to the chunk's length field
    return whole[:second_idat]


def bomb_png():
    """Declares 100,000 x 100,000 pixels (10 GB decoded) in under 100 bytes: one compressed empty row."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1001)) + chunk(b"IEND", b""))


# A JPEG cut off inside its quantisation table: start of image, JFIF header, 10 of 67 DQT bytes.
TRUNCATED_JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                  + b"\xff\xdb\x00\x43\x00" + bytes(range(1, 11)))
# Start-of-image marker, then bytes that are no JPEG segment.
CORRUPT_JPEG = b"\xff\xd8" + bytes((i * 37 + 11) % 251 for i in range(200))
# A PNG signature and an IHDR whose CRC is wrong.
CORRUPT_PNG = png(8, 8)[:29] + b"\x00\x00\x00\x00" + png(8, 8)[33:]


def idx(type_code, dims, body):
    return struct.pack(">BBBB", 0, 0, type_code, len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + body


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def link(path, target):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def case(name, expect_file, phrase, files=(), links=(), folders=()):
    root = os.path.join(DATA, name)
    for rel, data in files:
        write(os.path.join(root, rel), data)
    for rel, target in links:
        link(os.path.join(root, rel), target)
    for rel in folders:
        os.makedirs(os.path.join(root, rel), exist_ok=True)
        write(os.path.join(root, rel, ".gitkeep"), b"")  # git keeps no empty folders; dotfiles are skipped
    write(os.path.join(root, ".expect"), f"{expect_file}\n{phrase}\n".encode())


def idx_case(name, expect_file, phrase, **overrides):
    """An MNIST-style folder of 4 images, valid except for the files overridden."""
    images = idx(8, [4, 28, 28], bytes(4 * 784))
    labels = idx(8, [4], bytes([0, 1, 2, 3]))
    files = {"train-images-idx3-ubyte": images, "train-labels-idx1-ubyte": labels,
             "t10k-images-idx3-ubyte": images, "t10k-labels-idx1-ubyte": labels}
    for key, data in overrides.items():
        stem = key.replace("_gz", ".gz").replace("_", "-")
        files.pop(stem.removesuffix(".gz"))  # a .gz stands in for the raw file
        files[stem] = data
    case(name, expect_file, phrase, files=list(files.items()))


def image_case(name, expect_file, phrase, files=(), links=(), folders=()):
    """An image folder with one good class, plus the bad entries."""
    good = [(f"ok/{i:02}.png", png(28, 28)) for i in range(2)]
    case(name, expect_file, phrase, files=good + list(files), links=links, folders=folders)


def main():
    shutil.rmtree(DATA, ignore_errors=True)
    idx_case("idx-wrong-magic", "train-images-idx3-ubyte", "magic",
             train_images_idx3_ubyte=b"\x12\x34\x08\x03" + struct.pack(">III", 4, 28, 28) + bytes(4 * 784))
    idx_case("idx-truncated", "train-images-idx3-ubyte", "bytes",
             train_images_idx3_ubyte=idx(8, [4, 28, 28], bytes(2 * 784 + 100)))
    idx_case("idx-header-cut", "train-labels-idx1-ubyte", "header",
             train_labels_idx1_ubyte=b"\x00\x00\x08")
    idx_case("idx-dimensions-disagree", "t10k-images-idx3-ubyte", "bytes",
             t10k_images_idx3_ubyte=idx(8, [4, 28, 28], bytes(4 * 784 + 5000)))
    idx_case("idx-label-count", "train-labels-idx1-ubyte", "4 images",
             train_labels_idx1_ubyte=idx(8, [3], bytes([0, 1, 2])))
    idx_case("idx-corrupt-gzip", "train-images-idx3-ubyte.gz", "gzip",
             train_images_idx3_ubyte_gz=gzip.compress(idx(8, [4, 28, 28], bytes(4 * 784)), mtime=0)[:40] + b"\x00garbage")

    image_case("image-zero-byte-png", "bad/empty.png", "empty (0 bytes)", files=[("bad/empty.png", b"")])
    image_case("image-zero-byte-jpeg", "bad/empty.jpg", "empty (0 bytes)", files=[("bad/empty.jpg", b"")])
    image_case("image-truncated-jpeg", "bad/cut.jpg", "", files=[("bad/cut.jpg", TRUNCATED_JPEG)])
    image_case("image-truncated-png", "bad/cut.png", "truncated PNG", files=[("bad/cut.png", truncated_png())])
    image_case("image-corrupt-jpeg", "bad/noise.jpg", "", files=[("bad/noise.jpg", CORRUPT_JPEG)])
    image_case("image-corrupt-png", "bad/crc.png", "", files=[("bad/crc.png", CORRUPT_PNG)])
    image_case("image-decompression-bomb", "bad/bomb.png", "above the limit", files=[("bad/bomb.png", bomb_png())])
    image_case("image-not-an-image", "bad/notes.txt", "not a .jpg, .jpeg or .png", files=[("bad/notes.txt", b"shopping list\n")])
    image_case("image-empty-class", "empty", "empty class folder", folders=["empty"])
    image_case("image-link-loop", "bad/loop.png", "symbolic link", files=[("bad/01.png", png(28, 28))], links=[("bad/loop.png", "loop.png")])
    image_case("image-link-escape", "bad/passwd.png", "symbolic link", files=[("bad/01.png", png(28, 28))], links=[("bad/passwd.png", "/etc/passwd")])
    image_case("image-folder-link-loop", "zz", "symbolic link", links=[("zz", "zz")])


if __name__ == "__main__":
    main()
