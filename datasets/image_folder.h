// A user's own images as a data set ("image-folder"): one sub-folder per
// class, PNG or JPEG files (decoded by datasets/image_decode.h).
//
// Layout (DIR is --data-dir):
//   DIR/train/<class>/*.png|*.jpg|*.jpeg    the training images
//   DIR/test/<class>/*.png|*.jpg|*.jpeg     the test images
// - Classes: the sub-folder names of DIR/train, sorted by byte value; their
//   index in that order is the label. DIR/test must have the same set of
//   class folders. At least 2 classes, and no class folder may be empty.
// - Files: extensions are matched case-insensitively; hidden files and
//   folders (name starting with '.') are skipped everywhere; any other file
//   in a class folder is an error, as is a sub-folder there (nothing is read
//   recursively). Plain files directly in DIR/train or DIR/test are ignored.
// - Channels: 3 (RGB) if any image, train or test, has a pixel whose red,
//   green and blue differ; else 1 (grey). An RGB file of grey pixels counts
//   as grey. In a colour set, grey images are repeated into the 3 channels.
//   Alpha is ignored.
// - Size: every image is resized to 28 x 28 when the set is grey (the size of
//   MNIST) and 32 x 32 when it is colour (the size of CIFAR-10), so networks
//   trained on those data sets take these images as they are. The aspect
//   ratio is not kept (the image is stretched). Shrinking averages the source
//   pixels each output pixel covers (area-weighted); enlarging interpolates
//   bilinearly.
// - Order: round-robin over the classes (the first file of every class, then
//   the second, ...; files sorted by name), so --limit keeps every class.
// - Pixels are scaled to [0, 1] (byte / 255).
#pragma once
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace ml {

struct ImageFolderOptions {
  // Output size; 0 means the rule above (28 x 28 grey, 32 x 32 colour).
  int height = 0, width = 0;
};

// Throws std::runtime_error with one line on: an empty data_dir, a missing
// DIR/train or DIR/test, fewer than 2 classes, an empty class folder, class
// folders that differ between train and test (naming the ones that differ),
// a file that is not a PNG or JPEG by name, or one the decoder cannot decode
// (naming the file and the decoder's reason: stb_image for PNG, libjpeg for
// JPEG), or one whose header promises more than kMaxImagePixels
// (datasets/image_decode.h).
DatasetPair load_image_folder(const std::string& data_dir, const ImageFolderOptions& options = {});

// Resizes one image, channel-planar (C x in_h x in_w, CHW) -> C x out_h x out_w:
// per axis an area-weighted average when shrinking, bilinear interpolation
// (pixel centres aligned, edges clamped) when enlarging; the same size copies.
std::vector<float> resize_image(const std::vector<float>& in, int channels, int in_h, int in_w, int out_h,
                                int out_w);

}  // namespace ml
