// Package trainer fits and evaluates layers.Sequential models with Keras
// semantics: Adam with Keras's defaults and update rule, categorical
// cross-entropy on clipped probabilities, categorical accuracy, validation on
// the last fraction of the training set (taken before shuffling, as
// Keras's validation_split does), the training part reshuffled every epoch,
// the final partial batch used, and metrics averaged over samples.
//
// Output follows Keras's verbose=1: "Epoch 3/12", a live progress bar on a
// terminal and one line per epoch otherwise. Sub-packages read MNIST
// (trainer/mnist; its embedded copy in trainer/mnist/embedded), image
// folders (trainer/imagefolder) and write TensorBoard logs
// (trainer/tensorboard). Fit and Evaluate take any Dataset.
package trainer
