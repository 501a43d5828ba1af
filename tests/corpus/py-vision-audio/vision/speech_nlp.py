import clip
import spacy
import whisper
from faster_whisper import WhisperModel
from ultralytics import YOLO, RTDETR

WHISPER_SIZE = "small.en"

asr = whisper.load_model(WHISPER_SIZE)
turbo = whisper.load_model("turbo", device="cuda")
fine_tuned = whisper.load_model("checkpoints/whisper-ft.pt")
fast = WhisperModel("large-v3", device="cuda", compute_type="float16")
fast_custom = WhisperModel("deepdml/faster-whisper-large-v3-turbo-ct2")
clip_model, clip_preprocess = clip.load("ViT-L/14@336px")
nlp = spacy.load("en_core_web_trf")
blank = spacy.blank("en")
custom_nlp = spacy.load("./training/model-best")
detector = YOLO("yolo11n.pt")
segmenter = YOLO("yolov8s-seg.pt")
trained = YOLO("runs/detect/train3/weights/best.pt")
from_yaml = YOLO("yolov8n.yaml")
rtdetr = RTDETR("rtdetr-l.pt")
