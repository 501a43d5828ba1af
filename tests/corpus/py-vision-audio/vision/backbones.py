import open_clip
import timm
import torch
import torchvision.models as tvm
from torch import hub
from torchvision import models
from torchvision.models import ResNet50_Weights, efficientnet_b0, get_model
from torchvision.models.detection import FasterRCNN_ResNet50_FPN_V2_Weights, fasterrcnn_resnet50_fpn_v2

MIDAS_REPO = "intel-isl/MiDaS"


def classifier(num_classes: int):
    weights = ResNet50_Weights.IMAGENET1K_V2
    model = models.resnet50(weights=weights)
    model.fc = torch.nn.Linear(model.fc.in_features, num_classes)
    return model, weights.transforms()


def detector():
    return fasterrcnn_resnet50_fpn_v2(weights=FasterRCNN_ResNet50_FPN_V2_Weights.DEFAULT, box_score_thresh=0.7)


small = efficientnet_b0(weights="DEFAULT")
legacy = tvm.vgg16(pretrained=True)
scratch = tvm.vgg16(weights=None)
by_name = get_model("mobilenet_v3_large", weights="IMAGENET1K_V2")
vit = timm.create_model("vit_base_patch16_224.augreg2_in21k_ft_in1k", pretrained=True, num_classes=0)
eva = timm.create_model("hf_hub:timm/eva02_base_patch14_224.mim_in22k", pretrained=True)
untrained = timm.create_model("resnet18", num_classes=10)
clip_model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained="laion2b_s34b_b79k")
siglip, siglip_pre = open_clip.create_model_from_pretrained("hf-hub:timm/ViT-B-16-SigLIP")
tokenizer = open_clip.get_tokenizer("hf-hub:timm/ViT-B-16-SigLIP")
dino = torch.hub.load("facebookresearch/dinov2", "dinov2_vits14")
midas = hub.load(MIDAS_REPO, "DPT_Hybrid")
yolov5 = torch.hub.load("ultralytics/yolov5:v7.0", "yolov5s", pretrained=True)
state = hub.load_state_dict_from_url("https://download.pytorch.org/models/resnet18-f37072d3.pth", map_location="cpu")
local_repo = torch.hub.load("third_party/yolov5", "custom", path="weights/best.pt", source="local")
