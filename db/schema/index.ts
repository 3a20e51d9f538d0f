export * from "./kafka";
export * from "./rabbitmq";
export * from "./dead-letters";
export * from "./replays";
export * from "./spans";
export * from "./audit";
export * from "./workflows";
export * from "./health";
