GREETING = "hi from the layer"
