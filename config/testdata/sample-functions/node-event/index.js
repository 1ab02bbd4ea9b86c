exports.main_handler = async (event, context) => ({hello: "world"});
