/// The version of the Descent package and of the `descent` command.
public let descentVersion = "0.1.0"
