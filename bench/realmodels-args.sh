# realmodels-args.sh is sourced by realmodels.sh and realmodels-table.sh:
# the onnxkit bench arguments of each model, given REALMODELS and FIXTURES.

# args MODEL BATCH prints the bench arguments of one model at one batch
# size, or nothing when the model's batch is fixed and BATCH is not 1.
args() {
	local d="${REALMODELS}/$1" b="$2"
	case "$1" in
	gonnx_ndm_gru) echo "$d/ndm.onnx --shape sensor_input=${b}x25x4 --shape setpoint_input=${b}x1" ;;
	keras_lstm_squats) echo "$d/LSTMSquats.onnx --batch $b" ;;
	torch-lstm-bidir) echo "$d/model.onnx --shape x=${b}x25x40" ;;
	silero_vad) [ "$b" = 1 ] && echo "$d/silero_vad.onnx --input input=$d/test_data_set_0/input_0.pb --input state=$d/test_data_set_0/input_1.pb --input sr=$d/test_data_set_0/input_2.pb" ;;
	mobilenet_v3_small | resnet18 | torch-unet) echo "$d/model.onnx --batch $b" ;;
	fixture/cntk-mnist8-zoo) [ "$b" = 1 ] && echo "$(ls "${FIXTURES}/${1#fixture/}"/*.onnx | head -1)" ;;
	fixture/*) echo "$(ls "${FIXTURES}/${1#fixture/}"/*.onnx | head -1) --batch $b" ;;
	*)
		[ "$b" = 1 ] || return 0
		echo "$(ls "$d"/*.onnx | head -1)"
		;;
	esac
}
