from transformers import DetrForObjectDetection

m = DetrForObjectDetection.from_pretrained("facebook/detr-resnet-50")
