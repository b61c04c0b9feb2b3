"""The randomised holdout (对照组): how each rule's smart arm converts against its baseline."""
